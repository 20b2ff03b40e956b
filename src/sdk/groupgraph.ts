import { GroupGraphClient, type ClientOptions } from './client.ts';
import { GroupGraphError } from './errors.ts';
import {
  IdentifyDocument,
  RemoveGroupsDocument,
  SetGroupsDocument,
  TrackBatchDocument,
  UpsertGroupDocument,
  type IdentifyInput,
  type TrackInput,
  type UpsertGroupInput,
} from './generated/operations.ts';
import { randomId } from './ids.ts';

/** identify's payload (IdentifyInput of the schema). */
export type IdentifyPayload = Omit<IdentifyInput, 'properties'> & { properties?: Record<string, unknown> | null };

/** upsertGroup's payload (UpsertGroupInput of the schema): properties are merged shallowly. */
export type UpsertGroupPayload = Omit<UpsertGroupInput, 'properties'> & {
  properties?: Record<string, unknown> | null;
};

/** Event properties; `groups` and `profileId` are not stored as properties. */
export interface TrackProperties {
  [key: string]: unknown;
  /** Groups for this event only, merged with the instance's groups. */
  groups?: string[];
  /** The profile of this event only (server-side use); default: the identified profile. */
  profileId?: string;
}

/** Membership calls for a profile other than the identified one (server-side use). */
export interface ProfileOptions {
  /** Link or unlink this profile; the instance's own groups stay as they are. */
  profileId?: string;
}

export interface GroupGraphOptions extends ClientOptions {
  /**
   * false (default, the client-side rule): each event carries exactly the
   * instance's groups plus its per-event groups. true (server-side tracking): the
   * server adds the profile's current memberships, recorded by setGroups.
   */
  inheritProfileGroups?: boolean;
  /**
   * Most events per trackBatch request (default 100, at most 1,000). A server
   * with a lower TRACK_BATCH_MAX says so, and the SDK sends smaller batches.
   */
  batchSize?: number;
  /**
   * Most calls waiting to be sent (default 10,000). While the server cannot be
   * reached the queue grows; once full, a new call is refused at once with
   * QUEUE_FULL (its promise rejects and onError hears of it) rather than
   * growing without bound. Calls already queued keep their place.
   */
  maxQueueSize?: number;
  /** How long events wait for company before they are sent (default 250 ms). */
  flushIntervalMs?: number;
  /** A new session starts after this long without an event (default 30 min). */
  sessionTimeoutMs?: number;
  /** The device id to start with (default: a random one; clear() makes a new one). */
  deviceId?: string;
  /** Told about every call given up on (default: console.error). */
  onError?: (error: GroupGraphError) => void;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: GroupGraphError): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: GroupGraphError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that does not await must not see an unhandled rejection; one that
  // awaits still gets it. Failures also go to onError.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

type Entry =
  | { kind: 'event'; input: TrackInput; done: Deferred }
  | { kind: 'call'; label: string; send: (client: GroupGraphClient) => Promise<unknown>; done: Deferred };

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/**
 * The groupgraph SDK, mirroring OpenPanel's: identify, upsertGroup, setGroup(s),
 * removeGroups, track, clear, flush.
 *
 * Every call goes into one ordered queue, so the server sees them in call order
 * (an event tracked after setGroup is stored after the membership). Events wait
 * up to `flushIntervalMs` (or until `batchSize` are queued) and go out together
 * in one trackBatch; each carries a client-generated id, so a retried batch is
 * stored once. Failures that may pass (network, 429, 503) are retried with
 * backoff; the others reject the call's promise and reach `onError`.
 *
 * Each method returns a promise that settles once the call is acknowledged or
 * given up; awaiting it is optional.
 */
export class GroupGraph {
  private readonly api: GroupGraphClient;
  private readonly inheritProfileGroups: boolean;
  /** Lowered to the server's limit when it refuses a batch as too large. */
  private batchSize: number;
  private readonly maxQueueSize: number;
  private readonly flushIntervalMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly onError: (error: GroupGraphError) => void;

  private currentProfileId: string | undefined;
  private currentDeviceId: string;
  private currentSessionId: string;
  private lastEventAt = 0;
  private currentGroups: string[] = [];

  private readonly queue: Entry[] = [];
  /** Events in the queue (the rest are calls). */
  private queuedEvents = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDueAt = Infinity;
  private draining: Promise<void> | undefined;

  constructor(options: GroupGraphOptions) {
    this.api = new GroupGraphClient(options);
    this.inheritProfileGroups = options.inheritProfileGroups ?? false;
    this.batchSize = Math.min(1000, Math.max(1, options.batchSize ?? 100));
    this.maxQueueSize = Math.max(1, options.maxQueueSize ?? 10_000);
    this.flushIntervalMs = Math.max(0, options.flushIntervalMs ?? 250);
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 30 * 60_000;
    this.onError = options.onError ?? ((error) => console.error(`[groupgraph] ${error.code}: ${error.message}`));
    this.currentDeviceId = options.deviceId ?? randomId();
    this.currentSessionId = randomId();
  }

  /** The typed client under this instance (same key and retries), for operations of your own. */
  get client(): GroupGraphClient {
    return this.api;
  }

  /** The identified profile, if any. */
  get profileId(): string | undefined {
    return this.currentProfileId;
  }

  get deviceId(): string {
    return this.currentDeviceId;
  }

  get sessionId(): string {
    return this.currentSessionId;
  }

  /** The groups every event of this instance carries (setGroup/setGroups, until clear()). */
  get groups(): readonly string[] {
    return [...this.currentGroups];
  }

  /** Remembers the profile for later calls and creates or updates it on the server. */
  identify(payload: IdentifyPayload): Promise<void> {
    this.currentProfileId = payload.profileId;
    const input = { ...payload }; // as it is now, not when sent
    return this.call('identify', (client) => client.request(IdentifyDocument, { input }));
  }

  /** Creates the group or merges into it. It does not link anyone to it: use setGroup. */
  upsertGroup(payload: UpsertGroupPayload): Promise<void> {
    const input = { ...payload };
    return this.call('upsertGroup', (client) => client.request(UpsertGroupDocument, { input }));
  }

  /** setGroups with one group. */
  setGroup(groupId: string, options?: ProfileOptions): Promise<void> {
    return this.setGroups([groupId], options);
  }

  /**
   * Adds the groups to the instance's groups (every later event carries them,
   * until clear()) and links the identified profile to them on the server, which
   * records an assign_group event. The groups need not exist yet. Before
   * identify() there is no profile to link: only the events are tagged.
   */
  setGroups(groupIds: readonly string[], options: ProfileOptions = {}): Promise<void> {
    const ids = unique(groupIds);
    if (options.profileId === undefined) this.currentGroups = unique([...this.currentGroups, ...ids]);
    const profileId = options.profileId ?? this.currentProfileId;
    if (profileId === undefined || ids.length === 0) return Promise.resolve();
    return this.call('setGroups', (client) =>
      client.request(SetGroupsDocument, { input: { profileId, groupIds: ids } }),
    );
  }

  /** Drops the groups from the instance's groups and ends the profile's memberships (history is kept). */
  removeGroups(groupIds: readonly string[], options: ProfileOptions = {}): Promise<void> {
    const ids = unique(groupIds);
    if (options.profileId === undefined) this.currentGroups = this.currentGroups.filter((g) => !ids.includes(g));
    const profileId = options.profileId ?? this.currentProfileId;
    if (profileId === undefined || ids.length === 0) return Promise.resolve();
    return this.call('removeGroups', (client) =>
      client.request(RemoveGroupsDocument, { input: { profileId, groupIds: ids } }),
    );
  }

  /**
   * Queues an event. Its groups are the instance's groups merged with
   * `properties.groups`; its time is now (kept across retries).
   */
  track(name: string, properties: TrackProperties = {}): Promise<void> {
    const { groups, profileId = this.currentProfileId, ...rest } = properties;
    const now = Date.now();
    if (this.lastEventAt !== 0 && now - this.lastEventAt > this.sessionTimeoutMs) this.currentSessionId = randomId();
    this.lastEventAt = now;
    const input: TrackInput = {
      id: randomId(),
      name,
      ...(profileId !== undefined ? { profileId } : {}),
      deviceId: this.currentDeviceId,
      sessionId: this.currentSessionId,
      groups: unique([...this.currentGroups, ...(Array.isArray(groups) ? groups : [])]),
      properties: rest,
      timestamp: new Date(now).toISOString(),
      inheritProfileGroups: this.inheritProfileGroups,
    };
    const done = deferred();
    if (this.refuseWhenFull(done, `track("${name}")`)) return done.promise;
    this.queue.push({ kind: 'event', input, done });
    this.queuedEvents++;
    this.schedule(this.queuedEvents >= this.batchSize ? 0 : this.flushIntervalMs);
    return done.promise;
  }

  /**
   * Forgets the profile and the groups and starts a new device and session, so
   * the next user of this instance inherits nothing. Calls already made are still sent.
   */
  clear(): void {
    this.currentProfileId = undefined;
    this.currentGroups = [];
    this.currentDeviceId = randomId();
    this.currentSessionId = randomId();
    this.lastEventAt = 0;
  }

  /**
   * Sends everything queued now and resolves when it has all been acknowledged;
   * rejects with the first failure when something was given up on.
   */
  async flush(): Promise<void> {
    const pending = this.queue.map((entry) => entry.done.promise);
    this.schedule(0);
    const results = await Promise.allSettled(pending);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private call(label: string, send: (client: GroupGraphClient) => Promise<unknown>): Promise<void> {
    const done = deferred();
    if (this.refuseWhenFull(done, label)) return done.promise;
    this.queue.push({ kind: 'call', label, send, done });
    this.schedule(0);
    return done.promise;
  }

  /** A full queue refuses the call at once: rejected and reported, never silently dropped. */
  private refuseWhenFull(done: Deferred, label: string): boolean {
    if (this.queue.length < this.maxQueueSize) return false;
    const error = new GroupGraphError(
      'QUEUE_FULL',
      `${label}: ${this.queue.length} calls are waiting to be sent (maxQueueSize); not queued`,
    );
    done.reject(error);
    this.onError(error);
    return true;
  }

  /** Makes sure the queue is drained within `ms` (sooner if already planned). */
  private schedule(ms: number): void {
    if (this.draining) return; // the running drain sends what was added meanwhile
    const dueAt = Date.now() + ms;
    if (this.timer !== undefined && this.timerDueAt <= dueAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDueAt = Infinity;
      this.drain();
    }, ms);
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      while (this.queue.length > 0) await this.sendNext();
    })().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.schedule(0);
    });
  }

  /** Sends the head of the queue: one call, or the events in a row up to batchSize. */
  private async sendNext(): Promise<void> {
    const head = this.queue[0]!;
    if (head.kind === 'call') {
      try {
        await head.send(this.api);
        head.done.resolve();
      } catch (error) {
        this.fail([head.done], error, head.label);
      }
      this.queue.shift();
      return;
    }
    let count = 0;
    while (count < this.batchSize && this.queue[count]?.kind === 'event') count++;
    const batch = this.queue.slice(0, count) as Extract<Entry, { kind: 'event' }>[];
    try {
      const { trackBatch } = await this.api.request(TrackBatchDocument, { events: batch.map((e) => e.input) });
      const rejected = new Map(trackBatch.rejected.map((r) => [r.index, r]));
      batch.forEach((entry, index) => {
        const reason = rejected.get(index);
        if (!reason) return entry.done.resolve();
        const error = new GroupGraphError(reason.code, `track("${entry.input.name}"): ${reason.message}`);
        entry.done.reject(error);
        this.onError(error);
      });
    } catch (error) {
      const serverMax = maxBatchSize(error);
      if (serverMax !== undefined && serverMax < batch.length) {
        // The server takes fewer per batch (TRACK_BATCH_MAX): nothing was
        // stored; the same events go again, in smaller batches.
        this.batchSize = serverMax;
        return;
      }
      this.fail(
        batch.map((e) => e.done),
        error,
        `trackBatch of ${batch.length}`,
      );
    }
    this.queue.splice(0, count);
    this.queuedEvents -= count;
  }

  private fail(targets: Deferred[], caught: unknown, label: string): void {
    const error =
      caught instanceof GroupGraphError
        ? caught
        : new GroupGraphError('CLIENT_ERROR', `${label}: ${String(caught)}`, { cause: caught });
    for (const target of targets) target.reject(error);
    this.onError(error);
  }
}

/** The server's batch limit, when it refused a batch for being over it. */
function maxBatchSize(error: unknown): number | undefined {
  if (!(error instanceof GroupGraphError) || error.code !== 'VALIDATION_FAILED') return undefined;
  const max = error.errors?.[0]?.extensions?.maxBatchSize;
  return typeof max === 'number' && Number.isInteger(max) && max >= 1 ? max : undefined;
}
