/**
 * The three ways in: drop anywhere on the page, the file picker (a real
 * button, so it is keyboard reachable), and paste.
 */
export function wireInputs(pick: HTMLButtonElement, input: HTMLInputElement, onFile: (file: File) => void): void {
  pick.addEventListener('click', () => input.click());
  const takeChosen = () => {
    const file = input.files?.[0];
    if (file) onFile(file);
    // Choosing the same file again must fire `change` again.
    input.value = '';
  };
  input.addEventListener('change', takeChosen);
  // A file chosen before this script ran (its `change` fired with no listener) is taken now.
  takeChosen();

  // dragenter/dragleave fire for every child element; a counter tells when the pointer really left the page.
  let depth = 0;
  const setDragging = (on: boolean) => document.body.classList.toggle('dragging', on);
  document.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    setDragging(true);
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) setDragging(false);
  });
  // Without preventDefault on dragover the browser would open the dropped file itself.
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    setDragging(false);
    const file = e.dataTransfer?.files[0];
    if (file) onFile(file);
  });

  document.addEventListener('paste', (e) => {
    const file = Array.from(e.clipboardData?.files ?? [])[0];
    if (file) {
      e.preventDefault();
      onFile(file);
    }
  });
}
