export { cardBrand, isExpired, passesLuhn } from '../../../../lib/cards.ts';
export { processorConfigFromEnv, type ProcessorConfig } from './config.ts';
export {
  createCardProcessor,
  type CardProcessor,
  type ChargeDecision,
  type ChargeRequest,
  type RefundDecision,
  type RefundRequest,
} from './simulator.ts';
export { TEST_CARDS, type CardBehaviour } from './testCards.ts';
