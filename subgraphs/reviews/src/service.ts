import { defineSubgraph } from '../../../lib/subgraph/index.ts';
import { seedReviews } from '../../../prisma/reviews/seed.ts';
import { createPrisma } from './db.ts';
import { startReviewsWorkers } from './events/workers.ts';
import { buildServer } from './server.ts';

export const reviewsService = defineSubgraph({
  name: 'reviews',
  createPrisma,
  buildServer,
  seed: seedReviews,
  startWorkers: startReviewsWorkers,
});
