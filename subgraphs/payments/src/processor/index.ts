export { cardBrand, isExpired, passesLuhn } from '../../../../lib/cards.ts';
export { processorConfigFromEnv, type ProcessorConfig } from './config.ts';
export {
  createCardProcessor,
  type CaptureListing,
  type CardProcessor,
  type ChargeDecision,
  type ChargeRequest,
  type RefundDecision,
  type RefundRequest,
  type SimulatorOptions,
} from './simulator.ts';
export { databaseLedger, memoryLedger, type ProcessorCapture, type ProcessorLedger } from './ledger.ts';
export { TEST_CARDS, type CardBehaviour } from './testCards.ts';
