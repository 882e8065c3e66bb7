-- The saga step that calls inventory.commitStock was named CONFIRM_ORDER and is COMMIT_STOCK now.
-- Read-model rows follow the enum. The event log keeps the old name and is upcast on read.
ALTER TYPE "SagaStepName" RENAME VALUE 'CONFIRM_ORDER' TO 'COMMIT_STOCK';
