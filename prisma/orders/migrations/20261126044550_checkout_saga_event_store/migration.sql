-- CreateEnum
CREATE TYPE "SagaKind" AS ENUM ('CHECKOUT', 'CANCELLATION');

-- CreateEnum
CREATE TYPE "SagaState" AS ENUM ('RUNNING', 'COMPENSATING', 'SUCCEEDED', 'COMPENSATED');

-- CreateEnum
CREATE TYPE "SagaStepName" AS ENUM ('RESERVE_STOCK', 'CHARGE_PAYMENT', 'CONFIRM_ORDER', 'REFUND_PAYMENT', 'RELEASE_STOCK');

-- CreateEnum
CREATE TYPE "SagaStepStatus" AS ENUM ('RUNNING', 'SUCCEEDED', 'FAILED');

-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "statusReason" TEXT;

-- CreateTable
CREATE TABLE "CartItem" (
    "userId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CartItem_pkey" PRIMARY KEY ("userId","productId")
);

-- CreateTable
CREATE TABLE "OrderEvent" (
    "seq" BIGSERIAL NOT NULL,
    "streamId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "dataVersion" INTEGER NOT NULL,
    "data" JSONB NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrderEvent_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "Saga" (
    "id" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "kind" "SagaKind" NOT NULL,
    "state" "SagaState" NOT NULL,
    "reason" TEXT,
    "deadline" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Saga_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SagaStep" (
    "sagaId" UUID NOT NULL,
    "name" "SagaStepName" NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "SagaStepStatus" NOT NULL,
    "attempts" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "error" TEXT,

    CONSTRAINT "SagaStep_pkey" PRIMARY KEY ("sagaId","name")
);

-- CreateTable
CREATE TABLE "SagaLease" (
    "sagaId" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SagaLease_pkey" PRIMARY KEY ("sagaId")
);

-- CreateTable
CREATE TABLE "IdempotencyKey" (
    "userId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "orderId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyKey_pkey" PRIMARY KEY ("userId","key")
);

-- CreateIndex
CREATE INDEX "CartItem_userId_addedAt_idx" ON "CartItem"("userId", "addedAt");

-- CreateIndex
CREATE UNIQUE INDEX "OrderEvent_streamId_version_key" ON "OrderEvent"("streamId", "version");

-- CreateIndex
CREATE INDEX "Saga_state_createdAt_idx" ON "Saga"("state", "createdAt");

-- CreateIndex
CREATE INDEX "Saga_orderId_idx" ON "Saga"("orderId");

-- CreateIndex
CREATE INDEX "IdempotencyKey_createdAt_idx" ON "IdempotencyKey"("createdAt");

-- AddForeignKey
ALTER TABLE "SagaStep" ADD CONSTRAINT "SagaStep_sagaId_fkey" FOREIGN KEY ("sagaId") REFERENCES "Saga"("id") ON DELETE CASCADE ON UPDATE CASCADE;
