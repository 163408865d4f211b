import type { PreprocessReport } from '@fmnist/core';

/** The shared preprocessing's report in words: what happened between the photo and the 28x28 input. */
export function describeSteps(report: PreprocessReport, original: { width: number; height: number }): string {
  if (report.passthrough) return `${original.width}×${original.height} with a dark border: already a Fashion-MNIST-style image, used as is (gray only).`;
  const [r, g, b] = report.background;
  const parts = [
    `${original.width}×${original.height} → ${report.working.width}×${report.working.height} working size`,
    report.fallback
      ? 'no clear garment found, so the whole frame was trimmed to its content'
      : `background rgb(${r}, ${g}, ${b}) separated at colour distance ${report.threshold}; garment covers ${Math.round(report.foreground * 100)}% (box ${report.box.width}×${report.box.height})`,
    'cropped, contrast stretched, fitted to 28 px, sharpened, centred, inverted to bright-on-black',
  ];
  return `${parts.join('; ')}.`;
}
