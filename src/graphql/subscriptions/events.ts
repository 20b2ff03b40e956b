import { builder } from '../builder.ts';
import { EventFilterRef } from '../types/EventFilter.ts';
import { EventRef } from '../types/Event.ts';
import type { LiveItem } from '../../services/live.ts';

builder.subscriptionField('events', (t) =>
  t.field({
    type: EventRef,
    description:
      'Every event stored after the subscription started that matches the filter, in commit order, from every server process. A client more than 1,000 events behind gets a SLOW_CONSUMER error and the subscription ends.',
    args: { filter: t.arg({ type: EventFilterRef }) },
    subscribe: (_root, args, ctx) => ctx.services.live.subscribe(ctx.projectId, args.filter),
    resolve: (item: LiveItem, _args, ctx) => {
      if ('overflow' in item) throw item.overflow;
      // The request's loaders live as long as the subscription: forget what they
      // cached so each event shows its groups and profile as they are now.
      for (const loader of Object.values(ctx.loaders)) loader.clearAll();
      return item.event;
    },
  }),
);
