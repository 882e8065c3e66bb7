-- Nothing wrote "Reservation" before this migration (no code reserved stock), so its columns are
-- replaced outright: each line now belongs to a "StockHold", the per-saga header.

-- CreateEnum
CREATE TYPE "StockHoldStatus" AS ENUM ('HELD', 'REJECTED', 'RELEASED', 'COMMITTED', 'RETURNED');

-- DropIndex
DROP INDEX "Reservation_productId_status_idx";

-- DropIndex
DROP INDEX "Reservation_sagaId_productId_key";

-- AlterTable
ALTER TABLE "Reservation" DROP CONSTRAINT "Reservation_pkey",
DROP COLUMN "createdAt",
DROP COLUMN "id",
DROP COLUMN "status",
DROP COLUMN "updatedAt",
ADD COLUMN     "available" INTEGER,
DROP COLUMN "sagaId",
ADD COLUMN     "sagaId" UUID NOT NULL,
ADD CONSTRAINT "Reservation_pkey" PRIMARY KEY ("sagaId", "productId");

-- DropEnum
DROP TYPE "ReservationStatus";

-- CreateTable
CREATE TABLE "StockHold" (
    "sagaId" UUID NOT NULL,
    "status" "StockHoldStatus" NOT NULL,
    "releaseReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StockHold_pkey" PRIMARY KEY ("sagaId")
);

-- AddForeignKey
ALTER TABLE "Reservation" ADD CONSTRAINT "Reservation_sagaId_fkey" FOREIGN KEY ("sagaId") REFERENCES "StockHold"("sagaId") ON DELETE CASCADE ON UPDATE CASCADE;
