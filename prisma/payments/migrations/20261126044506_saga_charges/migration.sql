-- AlterTable: payments made before sagas belong to their order's checkout, whose saga id is the order id.
ALTER TABLE "Payment" ADD COLUMN     "declineCode" TEXT,
ADD COLUMN     "sagaId" UUID;
UPDATE "Payment" SET "sagaId" = "orderId";
ALTER TABLE "Payment" ALTER COLUMN "sagaId" SET NOT NULL;

-- CreateTable
CREATE TABLE "SagaCharge" (
    "sagaId" UUID NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "voidedAt" TIMESTAMP(3),
    "voidReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SagaCharge_pkey" PRIMARY KEY ("sagaId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Payment_sagaId_key" ON "Payment"("sagaId");
