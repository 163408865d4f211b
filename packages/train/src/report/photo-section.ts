import { CLASS_NAMES } from '@fmnist/core';
import type { PhotoRunFigures } from '@fmnist/core';
import { confusionSpec } from './charts.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The report's real-photo section: validation figures per source label, calibration and the confusion table. */
export function photoSection(p: PhotoRunFigures): string {
  const v = p.validation;
  const c = p.calibration;
  const labels = Object.keys(p.validation.confusion).sort();
  return [
    '## Real photos (validation split)',
    '',
    `${p.validationPhotos} photos by ${p.validationPhotographers} photographers validate (${p.split}); ${p.trainPhotos} photos with a class, by ${p.trainPhotographers} other photographers, trained. Source: ${p.dir}.${p.preprocessVersion ? ` Measured with core's preprocessing version ${p.preprocessVersion}.` : ''}`,
    '',
    `- Accept-top1: **${pct(v.acceptTop1)}** of ${v.count} photos with a class; strict top-1: ${pct(v.strictTop1)} of ${v.strictCount} photos whose mapping is not soft.`,
    `- Calibration: temperature ${c.temperature.toFixed(3)}; expected calibration error ${c.eceBefore.toFixed(3)} before, ${c.eceAfter.toFixed(3)} after (fitted and measured on this split)${c.eceCrossFitted === undefined ? '' : `; ${c.eceCrossFitted.toFixed(3)} cross-fitted (each fifth of the split's photographers calibrated by the temperature fitted on the other four: the figure to expect on new photographers)`}.`,
    `- Uncertain under ${pct(c.uncertainThreshold)} calibrated confidence: flags ${pct(c.flaggedWrong)} of wrong answers (photos with no class included) and ${pct(c.flaggedRight)} of right ones.`,
    '',
    '| source label | photos with a class | accept-top1 |',
    '|---|---|---|',
    ...Object.entries(v.bySourceLabel).map(([label, s]) => `| ${label} | ${s.count} | ${pct(s.acceptTop1)} |`),
    '',
    'Predicted class per source label (all validation photos, those with no class too):',
    '',
    `| source label | ${CLASS_NAMES.join(' | ')} |`,
    `|---|${CLASS_NAMES.map(() => '---').join('|')}|`,
    ...labels.map((l) => `| ${l} | ${v.confusion[l]!.join(' | ')} |`),
    '',
    '![photo confusion](photo-confusion.svg)',
  ].join('\n');
}

export function photoConfusionSpec(p: PhotoRunFigures, title: string) {
  const labels = Object.keys(p.validation.confusion).sort();
  return confusionSpec(
    labels.map((l) => p.validation.confusion[l]!),
    CLASS_NAMES,
    `${title}: photo validation, source label -> predicted class (accept-top1 ${pct(p.validation.acceptTop1)})`,
    labels,
    'source label',
  );
}
