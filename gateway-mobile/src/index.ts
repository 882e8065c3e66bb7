import { runGatewayProcess } from '../../lib/gateway/index.ts';
import { mobileProfile } from './profile.ts';

await runGatewayProcess(mobileProfile);
