import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { ReviewsPrisma } from '../../subgraphs/reviews/src/db.ts';

/** The demo reviews; existing rows are kept (ids are stable), so seeding is repeatable. */
export async function seedReviews(prisma: ReviewsPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const reviews = await insertInChunks(data.reviews, (chunk) => prisma.review.createMany({ data: chunk, skipDuplicates: true }));
  return { seeded: reviews > 0, rows: { reviews } };
}
