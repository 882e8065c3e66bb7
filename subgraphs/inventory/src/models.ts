/** Resolvers' parent types (codegen mappers). */
export type ProductRef = { id: string };
export type StockValue = { available: number; reserved: number; inStock: boolean };
export type { StockHoldValue } from './stockHolds.ts';
