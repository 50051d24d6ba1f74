import { splitText, TELEGRAM_TEXT_LIMIT } from '../../domain/split-text';

describe('splitText', () => {
  it('keeps a text within the limit whole', () => {
    expect(splitText('hello')).toEqual(['hello']);
    const exact = 'x'.repeat(TELEGRAM_TEXT_LIMIT);
    expect(splitText(exact)).toEqual([exact]);
  });

  it('splits at paragraph boundaries first', () => {
    const paragraph = 'a'.repeat(3000);
    const parts = splitText(`${paragraph}\n\n${paragraph}\n\n${paragraph}`);
    expect(parts).toEqual([paragraph, paragraph, paragraph]);
  });

  it('falls back to lines, then spaces, then a hard cut', () => {
    const line = 'b'.repeat(3000);
    expect(splitText(`${line}\n${line}`)).toEqual([line, line]);
    const words = Array.from({ length: 2000 }, () => 'word').join(' ');
    const parts = splitText(words);
    expect(parts.every((part) => part.length <= TELEGRAM_TEXT_LIMIT)).toBe(true);
    expect(parts.every((part) => !part.startsWith(' ') && !part.endsWith(' '))).toBe(true);
    expect(parts.join(' ')).toBe(words);
    const blob = 'c'.repeat(10_000);
    expect(splitText(blob).map((part) => part.length)).toEqual([4096, 4096, 1808]);
  });

  it('never loses or reorders content (property over many random texts)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 200; run++) {
      const pieces: string[] = [];
      const length = 1 + Math.floor(random() * 12_000);
      let text = '';
      while (text.length < length) {
        const r = random();
        text += r < 0.05 ? '\n\n' : r < 0.1 ? '\n' : r < 0.3 ? ' ' : 'абвгдxyz'[Math.floor(random() * 8)];
      }
      pieces.push(text);
      const parts = splitText(text, 500);
      expect(parts.every((part) => part.length > 0 && part.length <= 500)).toBe(true);
      expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
    }
  });
});
