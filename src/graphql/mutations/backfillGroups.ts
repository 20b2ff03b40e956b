import type { BackfillResult } from '../../services/backfill.ts';
import { builder } from '../builder.ts';

const BackfillGroupsInputRef = builder.inputType('BackfillGroupsInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    profileIds: t.idList({ description: "Only these members' events; omitted: every member's." }),
    from: t.field({ type: 'DateTime', description: "Inclusive; omitted: from each membership's start." }),
    to: t.field({ type: 'DateTime', description: "Exclusive; omitted: to each membership's end (or now)." }),
  }),
});

const BackfillResultRef = builder.objectRef<BackfillResult>('BackfillResult').implement({
  fields: (t) => ({
    taggedEvents: t.exposeInt('taggedEvents', { description: 'Events this call tagged; 0 when repeated.' }),
    profiles: t.exposeInt('profiles', { description: 'Distinct profiles whose events this call tagged.' }),
  }),
});

builder.mutationField('backfillGroups', (t) =>
  t.field({
    // Rewrites history of every member: root keys only, like updateGroup and deleteGroup.
    authScopes: { admin: true },
    type: BackfillResultRef,
    description:
      "Tags the members' past events with the group: for each membership of the group, the member's events in [max(joinedAt, from), min(leftAt, to)). Index rows and rollups move with them, so every analysis sees the tags at once. Commits in chunks of at most 10,000 events; never removes a tag; a repeat tags nothing, and repeating an interrupted call finishes it.",
    args: { input: t.arg({ type: BackfillGroupsInputRef, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.backfill.backfill(ctx.projectId, input),
  }),
);
