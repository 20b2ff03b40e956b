import { ORDER_DIRECTIONS } from '../../services/analysis/question.ts';
import { builder } from '../builder.ts';

// One enum for every ordered list of the API (series of eventAggregation, lists of groups).
export const OrderDirectionRef = builder.enumType('OrderDirection', {
  values: ORDER_DIRECTIONS,
  description: 'ASC: smallest first; DESC: largest first.',
});
