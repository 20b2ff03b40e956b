import { builder } from '../builder.ts';

export const IntRangeInputRef = builder.inputType('IntRangeInput', {
  description: 'An inclusive range; an omitted bound is open.',
  fields: (t) => ({
    min: t.int(),
    max: t.int(),
  }),
});
