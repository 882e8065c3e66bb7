-- order.confirmed and order.cancelled travel on separate streams: the ranking read models remember
-- each order they counted or saw cancelled, so either order of arrival ends the same.

-- CreateEnum
CREATE TYPE "RankedOrderState" AS ENUM ('COUNTED', 'CANCELLED');

-- CreateTable
CREATE TABLE "RankedOrder" (
    "orderId" UUID NOT NULL,
    "state" "RankedOrderState" NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RankedOrder_pkey" PRIMARY KEY ("orderId")
);
