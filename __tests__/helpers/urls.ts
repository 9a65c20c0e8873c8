/**
 * Random URLs as users build them from input, and as attackers write them: control characters,
 * whitespace, backslashes, userinfo, IDNA, IPv6, ports, case, dots and percent-encoding.
 */
import fc from 'fast-check';

export const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);

const hostname = oneOf(
  'api.example.com',
  'API.Example.COM',
  'api.example.com.',
  'files.example.com',
  'files.example.com.evil.test',
  'evil.test',
  'a.cdn.example',
  'a.b.cdn.example',
  'cdn.example',
  'xcdn.example',
  'bücher.cdn.example',
  'xn--bcher-kva.cdn.example',
  '127.0.0.1',
  '[::1]',
  '%66iles.example.com',
  'files%2eexample.com',
);
const urlArbitrary = fc
  .tuple(
    oneOf('', ' ', '\t', '\n', '\u0000', '\u001f', ' \t'),
    oneOf('', 'https:', 'http:', 'HTTPS:', 'HtTp:', 'ftp:', 'javascript:', 'data:'),
    oneOf('', '//', '/', '\\\\', '/\\', '\\/', '///', '/\t/', '\\'),
    oneOf('', 'user@', 'user:pass@', 'files.example.com@', 'api.example.com:443@'),
    hostname,
    oneOf('', ':443', ':8080', ':08080', ':80', ':', ':99999'),
    oneOf('', '/', '/x', '/%2e%2e/y', '/..\\..\\z', '?q=1', '#f', '/a b', '\\x'),
  )
  .map((parts) => parts.join(''));
export const anyUrl = fc.oneof(
  { weight: 4, arbitrary: urlArbitrary },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
