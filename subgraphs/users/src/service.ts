import { defineSubgraph } from '../../../lib/subgraph/index.ts';
import { seedUsers } from '../../../prisma/users/seed.ts';
import { createPrisma } from './db.ts';
import { startUsersWorkers } from './events/workers.ts';
import { buildServer } from './server.ts';

export const usersService = defineSubgraph({
  name: 'users',
  createPrisma,
  buildServer,
  seed: seedUsers,
  startWorkers: startUsersWorkers,
});
