import { seededRandom, stableUuid } from './random.ts';

/**
 * The demo shop, generated deterministically from a scale factor. Every service seeds its own share
 * of the same generated world, so ids line up across the six databases without any service reading
 * another's tables.
 */
export interface DemoData {
  users: DemoUser[];
  categories: DemoCategory[];
  products: DemoProduct[];
  stock: Array<{ productId: string; onHand: number }>;
  orders: DemoOrder[];
  payments: DemoPayment[];
  reviews: DemoReview[];
}

export interface DemoUser {
  id: string;
  email: string;
  name: string;
  avatarUrl: string | null;
  addressLine1: string;
  addressLine2: string | null;
  city: string;
  postalCode: string;
  country: string;
  createdAt: Date;
}

export interface DemoCategory {
  id: string;
  slug: string;
  name: string;
}

export interface DemoProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  imageUrl: string;
  categoryId: string;
  createdAt: Date;
}

export type DemoOrderStatus = 'CONFIRMED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED' | 'FAILED';

export interface DemoOrder {
  id: string;
  userId: string;
  status: DemoOrderStatus;
  totalCents: number;
  currency: string;
  createdAt: Date;
  items: Array<{ id: string; productId: string; quantity: number; unitPriceCents: number; position: number }>;
  /** Null for the imported history; the timeline of its checkout saga for an order placed through checkout. */
  checkout: DemoCheckout | null;
}

/**
 * When an order placed through checkout passed each point of its saga, so the three services that
 * took part seed rows that agree: orders its log, inventory its committed hold, payments its capture.
 */
export interface DemoCheckout {
  /** The saga's deadline, as checkout sets it (placed + CHECKOUT_SAGA_DEADLINE_MS's default). */
  deadline: Date;
  /** RESERVE_STOCK answered: the hold was taken. */
  reservedAt: Date;
  /** CHARGE_PAYMENT's call began: payments recorded its intent. */
  chargeStartedAt: Date;
  /** The processor captured. */
  capturedAt: Date;
  /** CHARGE_PAYMENT answered (the payment recorded); the order was confirmed in the same append. */
  chargedAt: Date;
  /** COMMIT_STOCK answered: the hold was committed. */
  committedAt: Date;
  /** SagaCompleted: the checkout saga SUCCEEDED. */
  completedAt: Date;
}

export interface DemoPayment {
  id: string;
  orderId: string;
  userId: string;
  status: 'CAPTURED' | 'REFUNDED' | 'DECLINED';
  amountCents: number;
  currency: string;
  cardBrand: string;
  cardLast4: string;
  createdAt: Date;
}

export interface DemoReview {
  id: string;
  productId: string;
  authorId: string;
  rating: number;
  title: string;
  body: string;
  createdAt: Date;
}

/**
 * The signed-in user of the demo: Ada, with a dozen orders of imported history and one placed
 * through checkout (DEMO_CANCELLABLE_ORDER_ID).
 */
export const DEMO_USER_ID = stableUuid('user', 0);
/**
 * Ada's order placed through checkout, CONFIRMED with its saga SUCCEEDED: the one order of the demo
 * data `cancelOrder` accepts (the playground's CancelOrder example). Its id is the same at any scale.
 */
export const DEMO_CANCELLABLE_ORDER_ID = stableUuid('checkout-order', 0);
/** Fixed users whose order counts tests rely on: a light buyer and a heavy one. */
export const LIGHT_BUYER_ID = stableUuid('user', 1);
export const HEAVY_BUYER_ID = stableUuid('user', 2);
const FIXED_ORDER_COUNTS = [12, 2, 60];
/**
 * The cancellable order's lines, by product index (products 0-7 exist at every scale; 7 is sold out):
 * past the products tests take first from the catalogue.
 */
const CANCELLABLE_ORDER_LINES: ReadonlyArray<{ productIndex: number; quantity: number }> = [
  { productIndex: 5, quantity: 1 },
  { productIndex: 6, quantity: 2 },
];
/** The checkout saga's deadline after placement: CHECKOUT_SAGA_DEADLINE_MS's default. */
const CHECKOUT_DEADLINE_MS = 30_000;

/** Timestamps are anchored here, not to the clock, so the data is identical whenever it is seeded. */
export const SEED_EPOCH = new Date('2026-11-20T12:00:00.000Z');
const DAY = 86_400_000;

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Margaret',
  'Linus',
  'Radia',
  'Ken',
  'Frances',
  'Dennis',
  'Hedy',
  'John',
  'Katherine',
  'Tim',
  'Sophie',
  'Guido',
  'Anita',
  'Bjarne',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Hamilton',
  'Torvalds',
  'Perlman',
  'Thompson',
  'Allen',
  'Ritchie',
  'Lamarr',
  'Backus',
  'Johnson',
  'Berners-Lee',
  'Wilson',
  'van Rossum',
  'Borg',
  'Stroustrup',
];
const CITIES: Array<[string, string, string]> = [
  ['London', 'GB', 'EC1A 1BB'],
  ['Paris', 'FR', '75001'],
  ['Berlin', 'DE', '10115'],
  ['Lisbon', 'PT', '1100-148'],
  ['Amsterdam', 'NL', '1011 AB'],
  ['New York', 'US', '10001'],
  ['Toronto', 'CA', 'M5H 2N2'],
  ['Madrid', 'ES', '28001'],
];
const CATEGORIES: Array<{ slug: string; name: string; nouns: string[]; price: [number, number] }> = [
  {
    slug: 'electronics',
    name: 'Electronics',
    nouns: ['Headphones', 'Speaker', 'Charger', 'Keyboard', 'Monitor'],
    price: [1500, 60000],
  },
  { slug: 'books', name: 'Books', nouns: ['Novel', 'Cookbook', 'Atlas', 'Biography', 'Handbook'], price: [800, 6000] },
  {
    slug: 'home-kitchen',
    name: 'Home & Kitchen',
    nouns: ['Kettle', 'Pan', 'Lamp', 'Blanket', 'Knife Set'],
    price: [1200, 25000],
  },
  {
    slug: 'fashion',
    name: 'Fashion',
    nouns: ['Jacket', 'Sneakers', 'Scarf', 'Backpack', 'Watch'],
    price: [1500, 30000],
  },
  {
    slug: 'sports-outdoors',
    name: 'Sports & Outdoors',
    nouns: ['Tent', 'Bottle', 'Yoga Mat', 'Bike Light', 'Rope'],
    price: [900, 40000],
  },
  {
    slug: 'toys-games',
    name: 'Toys & Games',
    nouns: ['Puzzle', 'Board Game', 'Kite', 'Robot Kit', 'Card Game'],
    price: [600, 12000],
  },
  { slug: 'beauty', name: 'Beauty', nouns: ['Serum', 'Shampoo', 'Brush', 'Perfume', 'Cream'], price: [500, 15000] },
  { slug: 'grocery', name: 'Grocery', nouns: ['Coffee', 'Tea', 'Olive Oil', 'Chocolate', 'Honey'], price: [300, 4000] },
];
const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Ultra', 'Smart', 'Vintage', 'Premium', 'Essential'];
const CARDS: Array<[string, string]> = [
  ['visa', '4242'],
  ['mastercard', '4444'],
  ['amex', '0005'],
  ['visa', '1881'],
  ['mastercard', '5100'],
];
const REVIEW_TITLES = ['Disappointing', 'Not great', 'Does the job', 'Very good', 'Excellent'];
const REVIEW_BODIES = [
  'Stopped working after a week and support never answered.',
  'Works, but the quality is below what the price suggests.',
  'Fine for everyday use; nothing special.',
  'Solid build and arrived quickly. Would buy again.',
  'Exactly as described, great value. Highly recommended.',
];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function between(min: number, max: number, random: () => number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const cache = new Map<number, DemoData>();

export function demoData(scale = 1): DemoData {
  const cached = cache.get(scale);
  if (cached) return cached;
  const data = generate(scale);
  cache.set(scale, data);
  return data;
}

function generate(scale: number): DemoData {
  const random = seededRandom(20261126);
  const userCount = Math.max(3, Math.round(50 * scale));
  const productCount = Math.max(8, Math.round(200 * scale));
  const orderCount = Math.max(74, Math.round(500 * scale));
  const reviewCount = Math.round(1000 * scale);

  const users: DemoUser[] = Array.from({ length: userCount }, (_, i) => {
    const first = FIRST[i % FIRST.length] as string;
    const last = LAST[(i + Math.floor(i / FIRST.length)) % LAST.length] as string;
    const [city, country, postalCode] = CITIES[i % CITIES.length] as [string, string, string];
    return {
      id: stableUuid('user', i),
      email: `${first}.${last}.${i}@example.com`.toLowerCase().replaceAll(' ', ''),
      name: `${first} ${last}`,
      avatarUrl: i % 5 === 4 ? null : `https://avatars.example.com/u/${i}.png`,
      addressLine1: `${between(1, 220, random)} ${pick(['High Street', 'Market Road', 'Station Lane', 'Park Avenue'], random)}`,
      addressLine2: i % 3 === 0 ? `Flat ${between(1, 40, random)}` : null,
      city,
      postalCode,
      country,
      createdAt: new Date(SEED_EPOCH.getTime() - (720 - (i % 700)) * DAY - i * 1000),
    };
  });

  const categories: DemoCategory[] = CATEGORIES.map((c, i) => ({
    id: stableUuid('category', i),
    slug: c.slug,
    name: c.name,
  }));

  const products: DemoProduct[] = Array.from({ length: productCount }, (_, i) => {
    const categoryIndex = i % CATEGORIES.length;
    const category = CATEGORIES[categoryIndex]!;
    const noun = category.nouns[Math.floor(i / CATEGORIES.length) % category.nouns.length]!;
    const adjective = ADJECTIVES[Math.floor(i / (CATEGORIES.length * category.nouns.length)) % ADJECTIVES.length]!;
    const sku = `SKU-${category.slug.slice(0, 3).toUpperCase()}-${String(i).padStart(6, '0')}`;
    const name = `${adjective} ${noun} ${Math.floor(i / 400) + 1}`.replace(/ 1$/, '');
    return {
      id: stableUuid('product', i),
      sku,
      name,
      description: `${name}: a ${category.name.toLowerCase()} favourite. ${adjective} design, built to last.`,
      priceCents: Math.round(between(category.price[0], category.price[1], random) / 10) * 10 - 1,
      currency: 'USD',
      imageUrl: `https://images.example.com/products/${sku.toLowerCase()}.jpg`,
      categoryId: categories[categoryIndex]!.id,
      createdAt: new Date(SEED_EPOCH.getTime() - (400 - (i % 400)) * DAY - i * 1000),
    };
  });

  const stock = products.map((p, i) => ({ productId: p.id, onHand: i % 20 === 7 ? 0 : between(5, 250, random) }));

  // The first users get fixed order counts (tests compare light and heavy buyers); the rest are random.
  const owners: number[] = [];
  FIXED_ORDER_COUNTS.forEach((count, user) => owners.push(...Array<number>(count).fill(user)));
  while (owners.length < orderCount) owners.push(between(FIXED_ORDER_COUNTS.length, userCount - 1, random));

  const orders: DemoOrder[] = [];
  const payments: DemoPayment[] = [];
  owners.forEach((owner, i) => {
    const lineCount = between(1, 4, random);
    const chosen = new Set<number>();
    while (chosen.size < lineCount) chosen.add(between(0, productCount - 1, random));
    const items = [...chosen].map((productIndex, position) => {
      const product = products[productIndex]!;
      return {
        id: stableUuid('order-item', i * 10 + position),
        productId: product.id,
        quantity: between(1, 3, random),
        unitPriceCents: product.priceCents,
        position,
      };
    });
    const roll = random();
    const status: DemoOrderStatus =
      roll < 0.04
        ? 'FAILED'
        : roll < 0.08
          ? 'CANCELLED'
          : roll < 0.35
            ? 'CONFIRMED'
            : roll < 0.6
              ? 'SHIPPED'
              : 'DELIVERED';
    const createdAt = new Date(
      SEED_EPOCH.getTime() - between(0, 180, random) * DAY - between(0, 86_399, random) * 1000,
    );
    const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
    const order: Omit<DemoOrder, 'checkout'> = {
      id: stableUuid('order', i),
      userId: users[owner]!.id,
      status,
      totalCents,
      currency: 'USD',
      createdAt,
      items,
    };
    orders.push({ ...order, checkout: null });
    const [cardBrand, cardLast4] = pick(CARDS, random);
    payments.push({
      id: stableUuid('payment', i),
      orderId: order.id,
      userId: order.userId,
      status: status === 'FAILED' ? 'DECLINED' : status === 'CANCELLED' ? 'REFUNDED' : 'CAPTURED',
      amountCents: totalCents,
      currency: 'USD',
      cardBrand,
      cardLast4,
      createdAt: new Date(createdAt.getTime() + 2000),
    });
  });

  const reviews: DemoReview[] = [];
  const pairs = new Set<string>();
  const maxPairs = userCount * productCount;
  for (let i = 0; reviews.length < Math.min(reviewCount, maxPairs); i++) {
    const author = between(0, userCount - 1, random);
    const product = between(0, productCount - 1, random);
    const pair = `${author}:${product}`;
    if (pairs.has(pair)) continue;
    pairs.add(pair);
    const rating = Math.min(5, Math.max(1, Math.round(2 + random() * 3.4)));
    reviews.push({
      id: stableUuid('review', reviews.length),
      productId: products[product]!.id,
      authorId: users[author]!.id,
      rating,
      title: REVIEW_TITLES[rating - 1]!,
      body: REVIEW_BODIES[rating - 1]!,
      createdAt: new Date(SEED_EPOCH.getTime() - between(0, 365, random) * DAY - i * 1000),
    });
  }

  // Drawn after everything else, from no random number: the rest of the world is as it was without it.
  const cancellable = cancellableOrder(products);
  orders.push(cancellable.order);
  payments.push(cancellable.payment);
  const committed = new Map(cancellable.order.items.map((item) => [item.productId, item.quantity]));
  // Inventory's levels as the order's COMMIT_STOCK left them: its units have left on hand.
  const stockAfter = stock.map((s) => ({ ...s, onHand: s.onHand - (committed.get(s.productId) ?? 0) }));

  return { users, categories, products, stock: stockAfter, orders, payments, reviews };
}

/**
 * Ada's order placed through checkout an hour before the seed epoch, with its saga's timeline (the
 * gaps between steps are those of a checkout on a quiet machine) and the payment it captured.
 */
function cancellableOrder(products: readonly DemoProduct[]): { order: DemoOrder; payment: DemoPayment } {
  const placedAt = new Date(SEED_EPOCH.getTime() - 3_600_000);
  const at = (offsetMs: number) => new Date(placedAt.getTime() + offsetMs);
  const items = CANCELLABLE_ORDER_LINES.map(({ productIndex, quantity }, position) => {
    const product = products[productIndex]!;
    return {
      id: stableUuid('checkout-order-item', position),
      productId: product.id,
      quantity,
      unitPriceCents: product.priceCents,
      position,
    };
  });
  const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  const checkout: DemoCheckout = {
    deadline: at(CHECKOUT_DEADLINE_MS),
    reservedAt: at(150),
    chargeStartedAt: at(200),
    capturedAt: at(650),
    chargedAt: at(700),
    committedAt: at(900),
    completedAt: at(950),
  };
  const order: DemoOrder = {
    id: DEMO_CANCELLABLE_ORDER_ID,
    userId: DEMO_USER_ID,
    status: 'CONFIRMED',
    totalCents,
    currency: 'USD',
    createdAt: placedAt,
    items,
    checkout,
  };
  const payment: DemoPayment = {
    id: stableUuid('checkout-payment', 0),
    orderId: order.id,
    userId: order.userId,
    status: 'CAPTURED',
    amountCents: totalCents,
    currency: 'USD',
    cardBrand: 'visa',
    cardLast4: '4242',
    // Recorded once the processor answered, just before the saga recorded its step.
    createdAt: at(680),
  };
  return { order, payment };
}

/** Orders that count as sales (paid and not refunded): the source of the products service's read models. */
export function salesOrders(data: DemoData): DemoOrder[] {
  return data.orders.filter((o) => o.status !== 'FAILED' && o.status !== 'CANCELLED');
}

/** Inserts rows in chunks so a large SEED_SCALE never builds one enormous statement. */
export async function insertInChunks<T>(
  rows: T[],
  insert: (chunk: T[]) => Promise<{ count: number }>,
  size = 1000,
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += size) inserted += (await insert(rows.slice(i, i + size))).count;
  return inserted;
}
