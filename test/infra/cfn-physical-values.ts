/**
 * What `Ref` and `Fn::GetAtt` return for each resource type the model (cfn-model.ts) knows, shaped like what
 * CloudFormation returns: a part CloudFormation only knows at deploy time is a token, a property is resolved by the
 * model that asks.
 */
import type { ModelStack } from './cfn-template';
import { partitionOf, token } from './cfn-template';

/** What a resource's values are resolved with: the model that holds the resource. */
export interface Resolver {
  /** A value as a string, with every intrinsic resolved. */
  str(stack: ModelStack, v: unknown): string;
  /** An attribute of a resource (`Fn::GetAtt`), memoized. */
  att(stack: ModelStack, id: string, attr: string): string;
  /** The value a cross-region export writer stores under an SSM parameter `name` in `region` of `account`. */
  findCrossRegionExport(
    account: string,
    region: string,
    name: string,
  ): { stack: ModelStack; value: unknown } | undefined;
}

/** The value of `Ref` (attr `Ref`) or an attribute of a resource, shaped like what CloudFormation returns. */
export function physicalValue(model: Resolver, stack: ModelStack, id: string, attr: string): string {
  const res = stack.template.Resources?.[id];
  const generic = token(attr === 'Ref' ? `${stack.stackName}|${id}` : `${stack.stackName}|${id}.${attr}`);
  if (!res) return generic;
  const p = res.Properties ?? {};
  const partition = partitionOf(stack.region);
  const arn = (service: string, resource: string, regional = true) =>
    `arn:${partition}:${service}:${regional ? stack.region : ''}:${stack.account}:${resource}`;
  const named = (prop: string) =>
    p[prop] === undefined ? token(`${stack.stackName}|${id}`) : model.str(stack, p[prop]);
  const is = (...attrs: string[]) => attrs.includes(attr);
  switch (res.Type) {
    case 'AWS::Lambda::Function': {
      const name = named('FunctionName');
      if (is('Ref')) return name;
      if (is('Arn')) return arn('lambda', `function:${name}`);
      break;
    }
    case 'AWS::Lambda::Alias':
      if (is('Ref', 'AliasArn')) return `${functionArn(stack, model.str(stack, p.FunctionName))}:${named('Name')}`;
      break;
    case 'AWS::Lambda::Version':
      if (is('Ref', 'FunctionArn'))
        return `${functionArn(stack, model.str(stack, p.FunctionName))}:${token(`${stack.stackName}|${id}.Version`)}`;
      break;
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const name = named('TableName');
      if (is('Ref')) return name;
      if (is('Arn')) return arn('dynamodb', `table/${name}`);
      break;
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = named('StateMachineName');
      if (is('Ref', 'Arn')) return arn('states', `stateMachine:${name}`);
      if (is('Name')) return name;
      break;
    }
    case 'AWS::SNS::Topic': {
      const name = named('TopicName');
      if (is('Ref', 'TopicArn')) return arn('sns', name);
      if (is('TopicName')) return name;
      break;
    }
    case 'AWS::KMS::Key':
      if (is('Ref', 'KeyId')) return generic.replace('.KeyId', '');
      if (is('Arn')) return arn('kms', `key/${model.att(stack, id, 'KeyId')}`);
      break;
    case 'AWS::KMS::Alias':
      if (is('Ref')) return named('AliasName');
      break;
    case 'AWS::IAM::Role': {
      const name = named('RoleName');
      const path = p.Path === undefined ? '/' : model.str(stack, p.Path);
      if (is('Ref')) return name;
      if (is('Arn')) return `arn:${partition}:iam::${stack.account}:role${path}${name}`;
      break;
    }
    case 'AWS::IAM::ManagedPolicy':
      if (is('Ref', 'PolicyArn')) {
        const path = p.Path === undefined ? '/' : model.str(stack, p.Path);
        return `arn:${partition}:iam::${stack.account}:policy${path}${named('ManagedPolicyName')}`;
      }
      break;
    case 'AWS::Logs::LogGroup': {
      const name = named('LogGroupName');
      if (is('Ref')) return name;
      if (is('Arn')) return arn('logs', `log-group:${name}:*`);
      break;
    }
    case 'AWS::Lex::Bot':
      if (is('Ref', 'Id')) return token(`${stack.stackName}|${id}.Id`);
      if (is('Arn')) return arn('lex', `bot/${model.att(stack, id, 'Id')}`);
      break;
    case 'AWS::Lex::BotAlias': {
      const aliasId = token(`${stack.stackName}|${id}.BotAliasId`);
      if (is('BotAliasId')) return aliasId;
      if (is('Arn')) return arn('lex', `bot-alias/${model.str(stack, p.BotId)}/${aliasId}`);
      if (is('Ref')) return `${aliasId}|${model.str(stack, p.BotId)}`;
      break;
    }
    case 'AWS::SecretsManager::Secret':
      if (is('Ref', 'Id'))
        return arn('secretsmanager', `secret:${named('Name')}-${token(`${stack.stackName}|${id}.Suffix`)}`);
      break;
    case 'AWS::SSM::Parameter':
      if (is('Ref')) return named('Name');
      if (is('Value')) return model.str(stack, p.Value);
      break;
    case 'AWS::Scheduler::Schedule':
      if (is('Arn'))
        return arn(
          'scheduler',
          `schedule/${p.GroupName === undefined ? 'default' : model.str(stack, p.GroupName)}/${named('Name')}`,
        );
      break;
    case 'AWS::CloudWatch::Alarm':
    case 'AWS::CloudWatch::CompositeAlarm': {
      // CloudFormation names an unnamed alarm `<stack>-<logical ID>-<suffix>`.
      const name =
        p.AlarmName === undefined ? `${stack.stackName}-${id}-${token('suffix')}` : model.str(stack, p.AlarmName);
      if (is('Ref')) return name;
      if (is('Arn')) return arn('cloudwatch', `alarm:${name}`);
      break;
    }
    case 'Custom::CrossRegionExportReader': {
      // `Fn::GetAtt` [reader, <SSM parameter name>]: the value a writer in another region stored in this region.
      const found = model.findCrossRegionExport(stack.account, stack.region, attr);
      return found ? model.str(found.stack, found.value) : token(`cross-region:${attr}`);
    }
  }
  return generic;
}

/**
 * A Lambda function reference (name, partial or full ARN, possibly qualified) as a full ARN, in the region and
 * account of `stack` unless it says otherwise.
 */
export function functionArn(stack: ModelStack, ref: string): string {
  if (ref.startsWith('arn:')) return ref;
  const partition = partitionOf(stack.region);
  const m = /^(\d{12}|«[^»]*»):function:(.+)$/.exec(ref);
  if (m) return `arn:${partition}:lambda:${stack.region}:${m[1]}:function:${m[2]}`;
  const f = /^function:(.+)$/.exec(ref);
  return `arn:${partition}:lambda:${stack.region}:${stack.account}:function:${f ? f[1] : ref}`;
}
