export {
  consumerLabel,
  fieldLabel,
  parseContract,
  printContract,
  type Contract,
  type FieldExpectation,
} from './contract.ts';
export { checkContractAgainstSchema, fieldExpectations, readableAs } from './checkSchema.ts';
export { checkResponseShape, type ResponseCheck, type ResponseCheckInput } from './checkResponse.ts';
export { deriveContracts, type PlannedConsumer } from './derive.ts';
export {
  contractDrift,
  contractsDir,
  describeDrift,
  generateContracts,
  GENERATED_CONSUMERS,
  readContracts,
  subgraphSchema,
  writeContracts,
  type ContractDrift,
} from './files.ts';
export { demoRecords, replayRequest, type ReplayFixtures, type ReplayRequest } from './replayInputs.ts';
