import { defineConfig } from 'prisma/config';

// `prisma generate` needs no database; the URL only matters for Prisma's own
// tooling (studio, db pull). Migrations are applied by `groupgraph migrate`.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/groupgraph' },
});
