/** Money as the graph shows it; cents stay exact, `amount` is for display. */
export interface MoneyValue {
  amount: number;
  currency: string;
  amountCents: number;
}

export function money(amountCents: number, currency: string): MoneyValue {
  return { amount: amountCents / 100, currency, amountCents };
}
