export {
  demoData,
  salesOrders,
  insertInChunks,
  DEMO_USER_ID,
  LIGHT_BUYER_ID,
  HEAVY_BUYER_ID,
  SEED_EPOCH,
  type DemoData,
} from './demoData.ts';
export { stableUuid, seededRandom } from './random.ts';
