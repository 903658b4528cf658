import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnBot } from 'aws-cdk-lib/aws-lex';
import { orderFlowers } from '../../bot/order-flowers';
import { canonicalJson, definitionHash, toCfnBotProps } from '../../bot/to-cfn';

const plain = (v: unknown) => ({ plainTextMessage: { value: v } });

describe('toCfnBotProps', () => {
  const props = toCfnBotProps(orderFlowers());
  const locale = props.botLocales[0];
  const intent = locale?.intents.find((i) => i.name === 'OrderFlowers');

  it('passes dataPrivacy verbatim and keeps the bot-level settings', () => {
    expect(props).toMatchObject({
      name: 'OrderFlowers',
      idleSessionTtlInSeconds: 300,
      dataPrivacy: { ChildDirected: false },
    });
    expect(locale).toMatchObject({
      localeId: 'en_US',
      nluConfidenceThreshold: 0.4,
      voiceSettings: { voiceId: 'Danielle' },
    });
  });

  it('converts slot types, slots with prompts and slot priorities', () => {
    expect(locale?.slotTypes[0]).toEqual({
      name: 'FlowerTypes',
      description: 'Types of flowers to pick up',
      slotTypeValues: [
        { sampleValue: { value: 'tulips' }, synonyms: [{ value: 'tulip' }] },
        { sampleValue: { value: 'lilies' }, synonyms: [{ value: 'lily' }] },
        { sampleValue: { value: 'roses' }, synonyms: [{ value: 'rose' }] },
      ],
      valueSelectionSetting: { resolutionStrategy: 'TOP_RESOLUTION' },
    });
    expect(intent?.slotPriorities).toEqual([
      { priority: 1, slotName: 'FlowerType' },
      { priority: 2, slotName: 'PickupDate' },
      { priority: 3, slotName: 'PickupTime' },
    ]);
    expect(intent?.slots?.[0]?.valueElicitationSetting).toEqual({
      slotConstraint: 'Required',
      promptSpecification: {
        messageGroupsList: [{ message: plain('What type of flowers would you like to order?') }],
        maxRetries: 2,
        allowInterrupt: true,
      },
    });
  });

  it('converts the confirmation prompt and the declination response', () => {
    expect(intent?.intentConfirmationSetting).toMatchObject({
      isActive: true,
      declinationResponse: { messageGroupsList: [{ message: plain('Okay, I will not place your order.') }] },
    });
  });

  it('enables the fulfillment code hook with progress updates and post-fulfillment responses', () => {
    const hook = intent?.fulfillmentCodeHook;
    expect(hook).toMatchObject({
      enabled: true,
      isActive: true,
      fulfillmentUpdatesSpecification: {
        active: true,
        startResponse: { delayInSeconds: 2, allowInterrupt: false },
        updateResponse: { frequencyInSeconds: 5 },
        timeoutInSeconds: 30,
      },
    });
    expect(hook?.fulfillmentUpdatesSpecification?.startResponse?.messageGroups[0]).toEqual({
      message: plain('We are placing your order…'),
    });
    expect(hook?.fulfillmentUpdatesSpecification?.startResponse?.messageGroups).toHaveLength(2);
    // Each outcome is one group (Lex plays one message of every group): its alternatives are Variations.
    const post = hook?.postFulfillmentStatusSpecification;
    expect(post?.successResponse?.messageGroupsList).toEqual([
      {
        message: plain('Thanks, your order has been placed.'),
        variations: [plain('All done: your flowers are ordered.'), plain('Your order is in. See you at pickup!')],
      },
    ]);
    expect(post?.failureResponse?.messageGroupsList).toHaveLength(1);
    expect(post?.failureResponse?.messageGroupsList[0]?.variations).toHaveLength(1);
    expect(post?.timeoutResponse?.messageGroupsList).toHaveLength(1);
    expect(post?.timeoutResponse?.messageGroupsList[0]?.variations).toHaveLength(1);
  });

  it('marks FallbackIntent with its parent signature and no utterances', () => {
    const fallback = locale?.intents.find((i) => i.name === 'FallbackIntent');
    expect(fallback?.parentIntentSignature).toBe('AMAZON.FallbackIntent');
    expect(fallback?.sampleUtterances).toBeUndefined();
    expect(fallback?.intentClosingSetting?.closingResponse.messageGroupsList).toEqual([
      {
        message: plain("Sorry, I didn't understand. You can say: I would like to order some flowers."),
        variations: [plain('Sorry, I can only help with ordering flowers.')],
      },
    ]);
  });

  it('leaves inactive parts out', () => {
    const p = toCfnBotProps(
      orderFlowers({
        updates: { updateResponse: { active: false } },
        postFulfillment: { timeoutResponse: { active: false } },
      }),
    );
    const hook = p.botLocales[0]?.intents.find((i) => i.name === 'OrderFlowers')?.fulfillmentCodeHook;
    expect(hook?.fulfillmentUpdatesSpecification?.updateResponse).toBeUndefined();
    expect(hook?.postFulfillmentStatusSpecification?.timeoutResponse).toBeUndefined();
    expect(hook?.postFulfillmentStatusSpecification?.successResponse).toBeDefined();
  });

  it('is deterministic: two builds (one per region) give byte-identical JSON', () => {
    const usEast1 = JSON.stringify(toCfnBotProps(orderFlowers()));
    const usWest2 = JSON.stringify(toCfnBotProps(orderFlowers()));
    expect(usWest2).toBe(usEast1);
  });

  it('synthesises as AWS::Lex::Bot through CDK with no validation finding', () => {
    const stack = new Stack(new App(), 'BotStack', { env: { region: 'us-west-2', account: '111111111111' } });
    new CfnBot(stack, 'Bot', { ...props, roleArn: 'arn:aws:iam::111111111111:role/lex' });
    // CDK reports CloudFormation schema findings (wrong enum values, out-of-range limits) on console.error.
    const findings = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const template = Template.fromStack(stack);
    expect(findings.mock.calls.map((c) => String(c[0]))).toEqual([]);
    findings.mockRestore();
    template.hasResourceProperties('AWS::Lex::Bot', {
      Name: 'OrderFlowers',
      DataPrivacy: { ChildDirected: false },
      BotLocales: [
        {
          LocaleId: 'en_US',
          Intents: [
            {
              Name: 'OrderFlowers',
              FulfillmentCodeHook: {
                Enabled: true,
                IsActive: true,
                FulfillmentUpdatesSpecification: { Active: true, TimeoutInSeconds: 30 },
              },
            },
            { Name: 'FallbackIntent', ParentIntentSignature: 'AMAZON.FallbackIntent' },
          ],
        },
      ],
    });
  });
});

describe('definitionHash', () => {
  it('is 12 hex characters and stable across builds', () => {
    const h = definitionHash(orderFlowers());
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(definitionHash(orderFlowers())).toBe(h);
  });

  it('changes when the definition changes', () => {
    expect(definitionHash(orderFlowers({ updates: { timeoutInSeconds: 31 } }))).not.toBe(
      definitionHash(orderFlowers()),
    );
  });

  it('ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: 3 } })).toBe(
      '{"a":{"c":3,"d":[2,{"x":2,"y":1}]},"b":1}',
    );
  });
});
