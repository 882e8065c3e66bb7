import { badUserInput } from '../../../lib/errors.ts';
import { parseId } from '../../../lib/graphql/index.ts';
import type { StockLineInput } from './__generated__/resolvers-types.ts';
import type { StockLine } from './stockHolds.ts';

export const MAX_LINES = 100;
export const MAX_QUANTITY = 1000;

/**
 * A reserveStock request's lines, checked (1 to 100 lines, 1 to 1000 units each, UUID product ids)
 * and merged by product, so each product has one line; a merged line must stay within 1000 units.
 */
export function parseStockLines(lines: readonly StockLineInput[]): StockLine[] {
  if (lines.length === 0 || lines.length > MAX_LINES)
    throw badUserInput(`"lines" must hold 1 to ${MAX_LINES} lines`, 'lines');
  const merged = new Map<string, number>();
  lines.forEach((line, index) => {
    const productId = parseId(line.productId, `lines[${index}].productId`);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw badUserInput(
        `"lines[${index}].quantity" must be between 1 and ${MAX_QUANTITY}`,
        `lines[${index}].quantity`,
      );
    }
    merged.set(productId, (merged.get(productId) ?? 0) + line.quantity);
  });
  for (const [productId, quantity] of merged) {
    if (quantity > MAX_QUANTITY)
      throw badUserInput(
        `"lines" ask for ${quantity} units of ${productId}; at most ${MAX_QUANTITY} per product`,
        'lines',
      );
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}
