import type { EpochRecord } from '@fmnist/core';
/**
 * The epoch kept is the one with the best mean of Fashion-MNIST validation
 * accuracy and photo validation accept-top1: both matter to users, equally,
 * and neither set is large enough to rank epochs alone without noise.
 */
export function selectionScore(record: Pick<EpochRecord, 'valAccuracy' | 'photoValAccuracy'>): number {
  return record.photoValAccuracy === undefined ? record.valAccuracy : (record.valAccuracy + record.photoValAccuracy) / 2;
}
