-- The processor is now called outside payments' transactions: the intent of each call is committed
-- before it (callState PENDING, with what was asked and for whom) and its outcome recorded after.

-- CreateEnum
CREATE TYPE "ProcessorCallState" AS ENUM ('PENDING', 'CAPTURED', 'DECLINED', 'UNAVAILABLE', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "ProcessorEntryKind" AS ENUM ('CAPTURE', 'REFUND');

-- AlterTable
ALTER TABLE "SagaCharge" ADD COLUMN     "amountCents" INTEGER,
ADD COLUMN     "callState" "ProcessorCallState",
ADD COLUMN     "callUntil" TIMESTAMP(3),
ADD COLUMN     "cardBrand" TEXT,
ADD COLUMN     "cardLast4" TEXT,
ADD COLUMN     "currency" TEXT,
ADD COLUMN     "orderId" UUID,
ADD COLUMN     "userId" UUID;

-- Before this, a call ran inside the transaction that recorded its payment: an attempt without a
-- payment was a transient failure that charged nothing.
UPDATE "SagaCharge" s SET "callState" = 'UNAVAILABLE'
WHERE s."attempts" > 0 AND NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."sagaId" = s."sagaId");

-- CreateTable: the simulated processor's own books (see schema.prisma).
CREATE TABLE "ProcessorEntry" (
    "idempotencyKey" TEXT NOT NULL,
    "kind" "ProcessorEntryKind" NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcessorEntry_pkey" PRIMARY KEY ("idempotencyKey","kind")
);

-- CreateIndex
CREATE INDEX "SagaCharge_callState_idx" ON "SagaCharge"("callState");
