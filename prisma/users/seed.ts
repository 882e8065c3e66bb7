import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { UsersPrisma } from '../../subgraphs/users/src/db.ts';

/** The users' share of the demo data; existing rows are kept (ids are stable), so seeding is repeatable. */
export async function seedUsers(prisma: UsersPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const users = await insertInChunks(data.users, (chunk) =>
    prisma.user.createMany({ data: chunk, skipDuplicates: true }),
  );
  return { seeded: users > 0, rows: { users } };
}
