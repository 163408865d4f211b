import { binary } from './elementwise.ts';

export const Add = binary('Add', (a, b) => a + b);
