import { runGatewayProcess } from '../../lib/gateway/index.ts';
import { webProfile } from './profile.ts';

await runGatewayProcess(webProfile);
