import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers?: Record<string, string>;
};
export type LambdaHttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;
