-- A cancel may arrive before its order's confirm (separate streams): its tombstone keeps the late
-- confirm from recording a purchase.

-- CreateTable
CREATE TABLE "CancelledOrder" (
    "orderId" UUID NOT NULL,
    "cancelledAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CancelledOrder_pkey" PRIMARY KEY ("orderId")
);
