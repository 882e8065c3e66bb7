import { defineSubgraph } from '../../../lib/subgraph/index.ts';
import { seedPayments } from '../../../prisma/payments/seed.ts';
import { createPrisma } from './db.ts';
import { buildServer } from './server.ts';

export const paymentsService = defineSubgraph({ name: 'payments', createPrisma, buildServer, seed: seedPayments });
