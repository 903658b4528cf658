/**
 * The IAM semantics the wiring audit (wiring-audit.ts) relies on, in iam-eval.ts's `decide`: actions and resources
 * with wildcards and qualifiers, explicit Deny, service principals and conditions, keys the request does not model.
 */
import type { SourcedStatement } from './iam-eval';
import { decide } from './iam-eval';

describe('IAM semantics of the audit', () => {
  const allow = (statement: Record<string, unknown>): SourcedStatement[] => [
    { statement: { Effect: 'Allow', ...statement }, source: 'P' },
  ];
  const fn = 'arn:aws:lambda:us-east-1:111111111111:function:probe';

  test.each([
    [{ Action: 'lambda:InvokeFunction', Resource: fn }, fn, true],
    [{ Action: 'Lambda:invoke*', Resource: fn }, fn, true],
    [{ Action: 'states:*', Resource: fn }, fn, false],
    [{ Action: '*', Resource: '*' }, fn, true],
    [{ Action: 'lambda:InvokeFunction', Resource: fn }, `${fn}:live`, false],
    [{ Action: 'lambda:InvokeFunction', Resource: `${fn}:*` }, `${fn}:live`, true],
    [{ Action: 'lambda:InvokeFunction', Resource: `${fn}:*` }, fn, false],
    [{ NotAction: 'lambda:InvokeFunction', Resource: '*' }, fn, false],
    [{ Action: 'lambda:InvokeFunction', NotResource: fn }, fn, false],
  ])('%j on %s → %s', (statement, resource, allowed) => {
    expect(decide(allow(statement), { action: 'lambda:InvokeFunction', resource, context: {} }).allowed).toBe(allowed);
  });

  test('an explicit Deny wins over an Allow', () => {
    const d = decide(
      [
        ...allow({ Action: 'sns:Publish', Resource: '*', Principal: '*' }),
        {
          statement: {
            Effect: 'Deny',
            Action: 'sns:*',
            Resource: '*',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          },
          source: 'D',
        },
      ],
      { action: 'sns:Publish', resource: 't', principal: { service: 'cloudwatch.amazonaws.com' }, context: {} },
    );
    expect(d).toMatchObject({ allowed: false, denied: true, by: ['D'] });
  });

  test('a resource policy must name the service; a Deny on plain HTTP does not apply to a TLS request', () => {
    const policy: SourcedStatement[] = [
      {
        statement: {
          Effect: 'Deny',
          Action: 'sns:Publish',
          Resource: '*',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        source: 'T',
      },
    ];
    const request = {
      action: 'sns:Publish',
      resource: 't',
      principal: { service: 'cloudwatch.amazonaws.com' },
      context: { 'aws:SecureTransport': 'true' },
    };
    expect(decide(policy, request)).toMatchObject({ allowed: false, denied: false });
    const fixed: SourcedStatement[] = [
      ...policy,
      ...allow({
        Action: 'sns:Publish',
        Resource: 't',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:*' } },
      }),
    ];
    expect(
      decide(fixed, {
        ...request,
        context: { ...request.context, 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:A' },
      }).allowed,
    ).toBe(true);
    expect(
      decide(fixed, {
        ...request,
        context: { ...request.context, 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:222222222222:alarm:A' },
      }).allowed,
    ).toBe(false);
  });

  test('conditions on keys the request does not model are accepted and listed', () => {
    const d = decide(
      allow({
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
      }),
      { action: 'kms:Decrypt', resource: 'k', context: {} },
    );
    expect(d.allowed).toBe(true);
    expect(d.accepted).toEqual(['P: StringEquals kms:ViaService "sns.us-east-1.amazonaws.com"']);
  });

  test('ForAllValues on dynamodb:LeadingKeys: every key of the request must be listed', () => {
    const statement = allow({
      Action: 'dynamodb:PutItem',
      Resource: '*',
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1#settings'] } },
    });
    const put = (keys: string[]) =>
      decide(statement, { action: 'dynamodb:PutItem', resource: 't', context: { 'dynamodb:LeadingKeys': keys } })
        .allowed;
    expect(put(['us-east-1#settings'])).toBe(true);
    expect(put(['us-east-1'])).toBe(false);
  });
});
