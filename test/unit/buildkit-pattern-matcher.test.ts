/** Docker's .dockerignore pattern semantics (moby/patternmatcher), matched without backtracking. */
import { describe, expect, it } from 'vitest';
import {
  cleanPath,
  createPatternMatcher,
  parseDockerignore,
  PatternSyntaxError,
} from '../../src/buildkit/pattern-matcher.js';

describe('pattern matcher', () => {
  // [patterns, path, excluded]
  const cases: [string[], string, boolean][] = [
    // literals, anchored at the root, parent directories
    [['foo'], 'foo', true],
    [['foo'], 'foo/bar/baz', true],
    [['foo'], 'x/foo', false],
    [['foo'], 'foobar', false],
    [['foo/bar'], 'foo/bar/x', true],
    [['foo/bar'], 'foo', false],
    // case-sensitive, as Docker on Linux
    [['*.TXT'], 'a.txt', false],
    [['*.TXT'], 'A.TXT', true],
    [['SECRET.ENV'], 'secret.env', false],
    [['SECRET.ENV'], 'SECRET.ENV', true],
    // * and ? stay within one segment
    [['*.go'], 'a.go', true],
    [['*.go'], 'sub/a.go', false],
    [['*'], 'anything/below', true],
    [['a?c'], 'abc', true],
    [['a?c'], 'a/c', false],
    [['a?c'], 'ac', false],
    [['*/b'], 'a/b', true],
    [['*/b'], 'b', false],
    // unicode: ? is one code point
    [['?.txt'], 'é.txt', true],
    [['?.txt'], '😀.txt', true],
    // classes
    [['[abc].txt'], 'b.txt', true],
    [['[abc].txt'], 'd.txt', false],
    [['[a-c].txt'], 'c.txt', true],
    [['[^a-c].txt'], 'c.txt', false],
    [['[^a-c].txt'], 'd.txt', true],
    [['[\\]].txt'], '].txt', true],
    // escapes
    [['\\*.txt'], '*.txt', true],
    [['\\*.txt'], 'a.txt', false],
    [['a\\?'], 'a?', true],
    [['a\\?'], 'ab', false],
    // regexp metacharacters are literals
    [['a.b'], 'axb', false],
    [['a+b(c)|{d}$'], 'a+b(c)|{d}$', true],
    // **
    [['**/*.txt'], 'a.txt', true],
    [['**/*.txt'], 'x/y/z/a.txt', true],
    [['**/*.txt'], 'x/y/z/a.md', false],
    [['**'], 'a/b', true],
    [['a/**'], 'a/b/c', true],
    [['a/**'], 'a', false],
    [['a/**'], 'ab', false],
    [['a/**/b'], 'a/b', true],
    [['a/**/b'], 'a/x/y/b', true],
    [['a/**/b'], 'a/xb', false],
    [['**/foo'], 'foo', true],
    [['**/foo'], 'x/foo', true],
    [['**/foo'], 'xfoo', false],
    // moby's suffix match: a leading ** and only literals after it is HasSuffix
    [['**foo'], 'xfoo', true],
    [['a**b'], 'ab', true],
    [['a**b'], 'a/x/b', true],
    [['**/**/**/*.txt'], 'a.txt', true],
    [['**/**/**/*.txt'], 'p/q/r/s/a.txt', true],
    [['**/**/**/*.txt'], 'p/q/r/s/a.md', false],
    // ! exceptions: order matters, parents
    [['*.md', '!README.md'], 'README.md', false],
    [['*.md', '!README.md'], 'CHANGES.md', true],
    [['!README.md', '*.md'], 'README.md', true],
    [['docs', '!docs/keep.md'], 'docs/keep.md', false],
    [['docs', '!docs/keep.md'], 'docs/other.md', true],
    [['docs', '!docs'], 'docs/x', false],
    [['*', '!src', 'src/tmp'], 'src/tmp/x', true],
    [['*', '!src', 'src/tmp'], 'src/a.ts', false],
    // cleaning: ./, //, trailing /, ..
    [['./foo'], 'foo', true],
    [['foo/'], 'foo/x', true],
    [['a//b'], 'a/b', true],
    [['a/../b'], 'b', true],
    [['a/./b'], 'a/b', true],
  ];
  it.each(cases)('%j: %s → %s', (patterns, p, excluded) => {
    expect(createPatternMatcher(patterns).matches(p)).toBe(excluded);
  });

  it('refuses malformed patterns as Go filepath.Match does', () => {
    for (const bad of ['[', '[a', '[]', 'a\\', '[z-a]', '!', '[a-]']) {
      expect(() => createPatternMatcher([bad]), bad).toThrow(PatternSyntaxError);
    }
  });

  it('cleans like Go path.Clean', () => {
    expect(cleanPath('')).toBe('.');
    expect(cleanPath('./a/')).toBe('a');
    expect(cleanPath('/a/../../b')).toBe('/b');
    expect(cleanPath('../a')).toBe('../a');
    expect(cleanPath('a/b/..')).toBe('a');
  });

  it('reads a .dockerignore text as BuildKit does', () => {
    const text = '\uFEFF# comment\n  \n/build/\n ! ./keep \n #not-a-comment\nsub//x/../y\r\n';
    expect(parseDockerignore(text)).toEqual(['build', '!keep', '#not-a-comment', 'sub/y']);
  });

  it('matches a 30-repeat ** pattern against many paths (linear, finishes)', () => {
    const pattern = Array.from({ length: 30 }, () => '**').join('/') + '/*.txt';
    const m = createPatternMatcher([pattern]);
    let excluded = 0;
    for (let i = 0; i < 2000; i++) {
      const deep = Array.from({ length: 20 }, (_, d) => `d${d}_${i}`).join('/');
      if (m.matches(`${deep}/f${i}.txt`)) excluded++;
      if (m.matches(`${deep}/f${i}.md`)) excluded += 1000;
    }
    expect(excluded).toBe(2000);
  });
});
