-- AlterTable
ALTER TABLE "run" ADD COLUMN     "parentRunId" TEXT;

-- CreateIndex
CREATE INDEX "run_parentRunId_idx" ON "run"("parentRunId");

-- AddForeignKey
ALTER TABLE "run" ADD CONSTRAINT "run_parentRunId_fkey" FOREIGN KEY ("parentRunId") REFERENCES "run"("id") ON DELETE SET NULL ON UPDATE CASCADE;

