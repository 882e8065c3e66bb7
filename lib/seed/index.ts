export {
  demoData,
  salesOrders,
  insertInChunks,
  DEMO_USER_ID,
  DEMO_CANCELLABLE_ORDER_ID,
  LIGHT_BUYER_ID,
  HEAVY_BUYER_ID,
  SEED_EPOCH,
  type DemoData,
  type DemoCheckout,
} from './demoData.ts';
export { stableUuid, seededRandom } from './random.ts';
