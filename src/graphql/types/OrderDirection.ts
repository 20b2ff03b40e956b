import { builder } from '../builder.ts';

export const OrderDirectionRef = builder.enumType('OrderDirection', {
  values: ['ASC', 'DESC'] as const,
});
