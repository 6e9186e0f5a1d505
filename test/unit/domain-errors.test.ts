// Domain errors carry no interface's words: the CLI names the flag, the API
// picks the problem type and status from the kind.
import { describe, expect, it } from 'vitest';
import { describeForCli } from '../../src/cli/main.ts';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, RefusedError } from '../../src/errors.ts';
import { problemOf } from '../../src/http/problem.ts';

describe('domain errors', () => {
  it.each([
    [
      new InvalidError('a message needs a text or an HTML body, or both', 'text'),
      'a message needs a text or an HTML body, or both (--text or --html)',
      400,
      'urn:mailroom:problem:validation',
    ],
    [new NotFoundError('no account 7 for tenant "acme"', 'accountId'), 'no account 7 for tenant "acme" (--account)', 404, 'urn:mailroom:problem:not-found'],
    [new ConflictError('tenant "acme" has no default sending account'), 'tenant "acme" has no default sending account', 409, 'urn:mailroom:problem:conflict'],
    [
      new RefusedError('webhook URL http://10.0.0.1 is on a private address'),
      'refused: webhook URL http://10.0.0.1 is on a private address',
      422,
      'urn:mailroom:problem:refused',
    ],
    [
      new ForbiddenError('only an operator adds a top-level tenant; name a parent to add a subcompany', 'parent'),
      'not allowed: only an operator adds a top-level tenant; name a parent to add a subcompany (--parent)',
      403,
      'urn:mailroom:problem:forbidden',
    ],
  ])('%s', (err, cli, status, type) => {
    expect(describeForCli(err)).toBe(cli);
    expect(problemOf(err)).toMatchObject({ status, type, detail: err.message });
    expect(err.message).not.toMatch(/--/);
  });

  it('lists the field of an invalid input in the problem', () => {
    expect(problemOf(new InvalidError('"x" is not an email address', 'to')).errors).toEqual([{ path: 'to', message: '"x" is not an email address' }]);
  });
});
