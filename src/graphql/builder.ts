import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';

import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import { AppError } from '../services/errors.ts';
import type { Context } from './context.ts';
import { DateTimeScalar, JSONScalar } from './scalars.ts';

// Naming: every Pothos ref bound to a name ends in `Ref` (`TrackInputRef` for the
// GraphQL input TrackInput), so it never clashes with the service type of the
// same name (ingest's TrackResult) and needs no import alias.
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  /** ingest: write or root keys; query: read or root keys; admin: root keys. */
  AuthScopes: { ingest: boolean; query: boolean; admin: boolean };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string };
  };
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // A subscription is refused when it starts, not on every event it would deliver.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      ingest: ctx.mode === 'write' || ctx.mode === 'root',
      query: ctx.mode === 'read' || ctx.mode === 'root',
      admin: ctx.mode === 'root',
    }),
    unauthorizedError: (_parent, ctx, info) =>
      new AppError('FORBIDDEN', `A ${ctx.mode} key may not use ${info.parentType.name}.${info.fieldName}`, {
        mode: ctx.mode,
      }),
  },
  prisma: {
    // The database is chosen at start-up, so the client comes with each request.
    client: (ctx) => ctx.services.prismaForPothos,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('JSON', JSONScalar);
// Every root field is covered by its type's rule: reading needs a read or root
// key, writing a write or root key; dashboard edits add `admin` on the field.
builder.queryType({ authScopes: { query: true } });
builder.mutationType({ authScopes: { ingest: true } });
builder.subscriptionType({ authScopes: { query: true } });

/**
 * Data types: only read and root keys see their fields, so a write key shipped in
 * a browser reads nothing back, not even through a mutation's result — except the
 * `id` (an echo of what it sent, or the id the server assigned).
 */
export const READ_SCOPES = { authScopes: { query: true } } as const;
export const ID_FOR_WRITERS = { skipTypeScopes: true } as const;
