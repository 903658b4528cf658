export * from './definition';
export * from './order-flowers';
export * from './to-cfn';
