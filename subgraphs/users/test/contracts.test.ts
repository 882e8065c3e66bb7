// Replays what the gateways (and any other consumer) recorded in subgraphs/users/contracts/ against
// this subgraph alone: a change here that breaks a consumer fails with that consumer named.
import { replayContracts } from '../../../test/support/contracts.ts';

replayContracts('users');
