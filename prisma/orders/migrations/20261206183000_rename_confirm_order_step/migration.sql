-- The saga step that calls inventory.commitStock was named CONFIRM_ORDER; it is COMMIT_STOCK now.
-- The read model's rows follow the enum; the event log keeps the old name and is upcast on read.
ALTER TYPE "SagaStepName" RENAME VALUE 'CONFIRM_ORDER' TO 'COMMIT_STOCK';
