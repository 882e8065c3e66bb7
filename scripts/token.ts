// `npm run token -- [userId]`: prints a development token the gateways accept, for that user (the
// demo user by default). Signed with JWT_SECRET when set, the development secret otherwise.
import { devTokenFromEnv } from '../lib/auth/index.ts';
import { isUuid } from '../lib/graphql/ids.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';

const userId = process.argv[2] ?? DEMO_USER_ID;
if (!isUuid(userId)) {
  console.error(
    `Not a user id: "${userId.slice(0, 64)}". Usage: npm run token -- <user UUID> (default: the demo user ${DEMO_USER_ID})`,
  );
  process.exit(2);
}
try {
  console.log(await devTokenFromEnv(userId));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
