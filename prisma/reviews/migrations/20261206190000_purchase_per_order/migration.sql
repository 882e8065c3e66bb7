-- A purchase per confirmed order, not only the first one per product. A cancelled order removes its
-- own rows, and the review stays verified while another order of the product stands.
ALTER TABLE "Purchase" DROP CONSTRAINT "Purchase_pkey";
ALTER TABLE "Purchase" ADD CONSTRAINT "Purchase_pkey" PRIMARY KEY ("userId", "productId", "orderId");
