import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

import type { Config } from './config.ts';
import { openDatabase } from './db/database.ts';
import { createApp } from './http/app.ts';
import { listenAdminSocket } from './http/adminSocket.ts';
import { createLogger } from './http/logging.ts';
import { listen } from './http/server.ts';
import { KeyService, type CreatedKey } from './services/keys.ts';

const BOOTSTRAP_KEY_FILE = 'default-root-key.json';

/**
 * On a fresh embedded database: a `default` project and one root key, kept
 * (owner-readable only) in DATA_DIR so GraphiQL can be prefilled on later
 * starts during development. The secret is printed only to a terminal: output
 * that goes to a file or a log collector says where the key is instead.
 */
async function bootstrapKey(config: Config, keys: KeyService): Promise<CreatedKey | undefined> {
  if (config.databaseUrl) return undefined;
  const file = path.join(config.dataDir, BOOTSTRAP_KEY_FILE);
  if ((await keys.projectCount()) === 0) {
    const key = await keys.create('default', 'root', 'created on first start');
    writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
    if (process.stdout.isTTY) {
      console.log('Created project "default" with a root key (shown once; also saved in %s):', file);
      console.log(`  openpanel-client-id:     ${key.clientId}`);
      console.log(`  openpanel-client-secret: ${key.clientSecret}`);
    } else {
      console.log('Created project "default" with a root key, saved (readable by this user only) in %s', file);
    }
    return key;
  }
  if (!existsSync(file)) return undefined;
  const key = JSON.parse(readFileSync(file, 'utf8')) as CreatedKey;
  try {
    await keys.authenticate(key.clientId, key.clientSecret);
    return key;
  } catch {
    return undefined; // revoked since
  }
}

/** config → database → server.listen; resolves when the server has stopped. */
export async function serve(config: Config): Promise<void> {
  const database = await openDatabase(config);
  const applied = await database.migrate().catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);

  const keys = new KeyService(database.prisma);
  const key = await bootstrapKey(config, keys);
  const admin = config.databaseUrl ? undefined : await listenAdminSocket(config.dataDir, keys);
  const app = createApp({
    database,
    production: config.production,
    graphiqlHeaders: key && {
      'openpanel-client-id': key.clientId,
      'openpanel-client-secret': key.clientSecret,
    },
    hardening: {
      introspection: config.introspection,
      maxBodyBytes: config.maxBodyBytes,
      maxQueryPoints: config.maxQueryPoints,
      maxAnalysisFields: config.maxAnalysisFields,
      maxResponseBytes: config.maxResponseBytes,
    },
    rateLimit: config.rateLimit,
    trackBatchMax: config.trackBatchMax,
    analysisConcurrencyPerProject: config.analysisConcurrencyPerProject,
    authFailureRateLimit: config.authFailureRateLimit,
    maxJsonDepth: config.maxJsonDepth,
    trustProxy: config.trustProxy,
    metrics: config.metrics,
    logger: createLogger({ production: config.production, level: config.logLevel }),
  });
  const server = await listen(app, config.port, config.host, config.connections);
  console.log(`Dashboard at ${server.url}/`);
  console.log(`groupgraph serving GraphiQL at ${server.url}/graphql (database: ${database.kind})`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: finishing in-flight requests…`);
      await app.closeLive();
      await server.close();
      admin?.close();
      await app.rateLimiter.close();
      await database.close();
      console.log('stopped');
      resolve();
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
