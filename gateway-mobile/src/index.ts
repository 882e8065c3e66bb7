import { runGatewayProcess } from '../../lib/gateway/index.ts';

// The mobile BFF: the whole supergraph for now; persisted operations and its dashboard arrive with issue 4.
await runGatewayProcess('mobile');
