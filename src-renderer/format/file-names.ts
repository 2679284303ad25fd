/** A string usable as a file name on every OS: runs of other characters become "_". */
export function safeFileName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|_+$/g, '');
  return cleaned === '' ? 'export' : cleaned.slice(0, 120);
}
