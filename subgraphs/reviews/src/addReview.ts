import { randomUUID } from 'node:crypto';
import { appError, badUserInput } from '../../../lib/errors.ts';
import { appendToOutbox, createEvent } from '../../../lib/events/index.ts';
import { parseId } from '../../../lib/graphql/index.ts';
import type { ReviewRecord, ReviewsPrisma } from './db.ts';
import { lockPurchasePair } from './purchasePairs.ts';

export const MAX_BODY_LENGTH = 2000;

export interface NewReview {
  productId: string;
  rating: number;
  body: string;
}

// Line breaks and tabs belong in a review; other control characters do not (Postgres refuses NUL).
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The validated arguments of `addReview`; BAD_USER_INPUT naming the argument otherwise. */
export function newReviewOf(args: { productId: string; rating: number; body?: string | null }): NewReview {
  const productId = parseId(args.productId, 'productId');
  if (!Number.isInteger(args.rating) || args.rating < 1 || args.rating > 5)
    throw badUserInput('"rating" must be a whole number from 1 to 5', 'rating');
  const body = (args.body ?? '').trim();
  // Counted in code points, as a person counts characters.
  if ([...body].length > MAX_BODY_LENGTH)
    throw badUserInput(`"body" must be at most ${MAX_BODY_LENGTH} characters`, 'body');
  if (CONTROL.test(body)) throw badUserInput('"body" must not contain control characters', 'body');
  return { productId, rating: args.rating, body };
}

interface Facts {
  bought: boolean;
  known: boolean;
  reviewed: boolean;
}

/**
 * Writes the author's review and its `review.created` event in one transaction. Reviews cannot read
 * the catalogue (products' database), so a product is accepted when this service has seen it: in a
 * confirmed order (a Purchase) or in an earlier review; anything else is NOT_FOUND rather than a
 * review whose product would not resolve. One review per author and product: ALREADY_EXISTS.
 */
export async function addReview(prisma: ReviewsPrisma, authorId: string, review: NewReview): Promise<ReviewRecord> {
  const { productId } = review;
  return prisma.$transaction(async (tx) => {
    // Also makes a second concurrent review of the pair wait, then find the first.
    await lockPurchasePair(tx, authorId, productId);
    const [facts] = await tx.$queryRawUnsafe<Facts[]>(
      `SELECT EXISTS (SELECT 1 FROM "Purchase" WHERE "userId" = $1::uuid AND "productId" = $2::uuid) AS "bought",
              EXISTS (SELECT 1 FROM "Purchase" WHERE "productId" = $2::uuid)
                OR EXISTS (SELECT 1 FROM "Review" WHERE "productId" = $2::uuid) AS "known",
              EXISTS (SELECT 1 FROM "Review" WHERE "authorId" = $1::uuid AND "productId" = $2::uuid) AS "reviewed"`,
      authorId,
      productId,
    );
    if (facts?.reviewed)
      throw appError('ALREADY_EXISTS', 'You have already reviewed this product', {
        argumentName: 'productId',
        typeName: 'Review',
      });
    if (!facts?.known)
      throw appError('NOT_FOUND', `Product ${productId} is not one reviews knows of`, {
        typeName: 'Product',
        id: productId,
        argumentName: 'productId',
      });
    const created = await tx.review.create({
      data: {
        id: randomUUID(),
        productId,
        authorId,
        rating: review.rating,
        title: null,
        body: review.body,
        verifiedPurchase: facts.bought,
      },
    });
    await appendToOutbox(
      tx,
      createEvent(
        'review.created',
        { reviewId: created.id, productId, userId: authorId, rating: created.rating },
        { source: 'reviews' },
      ),
    );
    return created;
  });
}
