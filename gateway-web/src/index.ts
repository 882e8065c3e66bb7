import { runGatewayProcess } from '../../lib/gateway/index.ts';

// The web BFF: the whole supergraph for now; its dashboard subgraph and limits arrive with issue 4.
await runGatewayProcess('web');
